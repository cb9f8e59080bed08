/** Objects as the panel shows them: YAML, managedFields left out unless asked for (pure). */
import { stringify } from "yaml";
import type { KubeObject } from "./resourceApi";

export function withoutManagedFields(obj: KubeObject): KubeObject {
  if (!obj.metadata || !("managedFields" in obj.metadata)) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  void _dropped;
  return { ...obj, metadata };
}

export function manifestYaml(obj: KubeObject | null, managedFields = false): string {
  if (!obj) return "";
  return stringify(managedFields ? obj : withoutManagedFields(obj), { lineWidth: 0 });
}
