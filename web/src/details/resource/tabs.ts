/** Which tabs a resource has, and what they are called (pure). */
import type { ResourceRef } from "../../api/resourceRef";
import type { ResourceTab } from "./ResourcePanel";

export const TAB_LABELS: Record<ResourceTab, string> = {
  summary: "Summary",
  live: "Live manifest",
  desired: "Desired manifest",
  diff: "Diff",
  events: "Events",
  logs: "Logs",
};

/** Kinds whose pods have logs: Pods, and the workloads that own Pods. */
export const LOG_KINDS: ReadonlySet<string> = new Set([
  "Pod",
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "Rollout",
]);

export function tabsOf(ref: ResourceRef): ResourceTab[] {
  const tabs: ResourceTab[] = ["summary", "live", "desired", "diff", "events"];
  return LOG_KINDS.has(ref.kind) ? [...tabs, "logs"] : tabs;
}

/** The tab to show: the one asked for when the resource has it, else the summary. */
export function shownTab(ref: ResourceRef, asked: string | null | undefined): ResourceTab {
  const tabs = tabsOf(ref);
  return tabs.find((tab) => tab === asked) ?? "summary";
}

/** The tab an arrow/Home/End key moves to (wrapping), or null for other keys. */
export function tabAfterKey(tabs: ResourceTab[], current: ResourceTab, key: string): ResourceTab | null {
  const at = tabs.indexOf(current);
  switch (key) {
    case "ArrowRight":
      return tabs[(at + 1) % tabs.length];
    case "ArrowLeft":
      return tabs[(at - 1 + tabs.length) % tabs.length];
    case "Home":
      return tabs[0];
    case "End":
      return tabs[tabs.length - 1];
    default:
      return null;
  }
}
