/** The desired manifest: the target state from `managed-resources` (Secret values masked). */
import type { ResourceRef } from "../../api/resourceRef";
import { ErrorNotice } from "../../components/ErrorNotice";
import { YamlEditor } from "../../widgets/yaml/YamlEditor";
import { manifestYaml } from "./manifestText";
import { parseState } from "./resourceApi";
import type { ResourceData } from "./useResource";

export function DesiredTab({ resource, data }: { resource: ResourceRef; data: ResourceData }) {
  const { managed } = data;
  if (managed.error) return <ErrorNotice error={managed.error} />;
  if (managed.loading) return <p className="rp-muted">Loading…</p>;
  const target = parseState(managed.value?.targetState);
  if (!target) {
    return (
      <p className="rp-muted">
        {managed.value ? "Git no longer holds this resource (it would be pruned)." : "This resource is not in Git: another resource creates it."}
      </p>
    );
  }
  return <YamlEditor value={manifestYaml(target)} label={`Desired manifest of ${resource.kind} ${resource.name}`} />;
}
