/**
 * The slide-out panel of one resource of an app (mounted by the details page when the URL
 * names a resource: see api/resourceRef.ts). A modal dialog: the focus moves into it when
 * it opens and back where it was when it closes; Escape closes it. Tabs (arrow keys, Home,
 * End): summary, live (manifest, editable), desired, diff (with drift forensics), events,
 * logs (pods and workloads); the header runs resource actions and deletes the resource.
 */
import { useEffect, useId, useRef, type KeyboardEvent } from "react";
import type { Application, ResourceNode } from "../../api/types";
import type { ResourceRef } from "../../api/resourceRef";
import { HealthBadge, SyncBadge } from "../../components/status";
import { DesiredTab } from "./DesiredTab";
import { DiffTab } from "./DiffTab";
import { EventsTab } from "./EventsTab";
import { LiveTab } from "./LiveTab";
import { LogsTab } from "./LogsTab";
import { ResourceActions } from "./ResourceActions";
import { SummaryTab, resourceStatus } from "./SummaryTab";
import { TAB_LABELS, shownTab, tabAfterKey, tabsOf } from "./tabs";
import { useResource } from "./useResource";
import "./ResourcePanel.css";

export type ResourceTab = "summary" | "live" | "desired" | "diff" | "events" | "logs";

export interface ResourcePanelProps {
  app: Application;
  resource: ResourceRef;
  tab: ResourceTab;
  onTabChange: (tab: ResourceTab) => void;
  onClose: () => void;
  /** The resource's node of the app's resource tree, when the page has the tree (live from
   * its stream); without it the panel reads the tree once per comparison. */
  node?: ResourceNode;
}

const FOCUSABLE = 'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea, [tabindex]:not([tabindex="-1"])';

/** A modal keeps Tab inside it: past the last control comes the first, and back. */
function keepFocusInside(container: HTMLElement, event: KeyboardEvent) {
  const controls = [...container.querySelectorAll<HTMLElement>(FOCUSABLE)];
  if (controls.length === 0) return;
  const first = controls[0];
  const last = controls[controls.length - 1];
  const active = document.activeElement;
  if (event.shiftKey && (active === first || active === container)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first.focus();
  }
}

export function ResourcePanel({ app, resource, tab, onTabChange, onClose, node }: ResourcePanelProps) {
  const id = useId();
  const dialog = useRef<HTMLElement>(null);
  const tabButtons = useRef(new Map<string, HTMLButtonElement>());
  const data = useResource(app, resource, node);
  const tabs = tabsOf(resource);
  const current = shownTab(resource, tab);
  const status = resourceStatus(app, resource);
  const title = `${resource.kind} ${resource.name}`;

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.current?.focus(); // screen readers announce the dialog by its name
    return () => before?.focus();
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      onClose();
    } else if (event.key === "Tab" && dialog.current) {
      keepFocusInside(dialog.current, event);
    }
  };

  const onTabKey = (event: KeyboardEvent) => {
    const next = tabAfterKey(tabs, current, event.key);
    if (!next) return;
    event.preventDefault();
    onTabChange(next);
    tabButtons.current.get(next)?.focus();
  };

  return (
    <div className="rp-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <section
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        className="rp-panel"
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <header className="rp-header">
          <div className="rp-title">
            <span className="rp-kind">{resource.kind}</span>
            <h2 id={`${id}-title`}>
              {resource.name}
            </h2>
            <span className="rp-badges">
              <HealthBadge status={status?.health?.status ?? data.node.value?.health?.status} />
              {status?.status && <SyncBadge status={status.status} />}
            </span>
          </div>
          <ResourceActions app={app} resource={resource} title={title} onChanged={data.reload} onDeleted={onClose} />
          <button type="button" className="rp-close" aria-label={`Close ${title}`} onClick={onClose}>
            ✕
          </button>
        </header>
        <div role="tablist" aria-label={`Views of ${title}`} className="rp-tabs" onKeyDown={onTabKey}>
          {tabs.map((name) => (
            <button
              key={name}
              ref={(el) => {
                if (el) tabButtons.current.set(name, el);
                else tabButtons.current.delete(name);
              }}
              type="button"
              role="tab"
              id={`${id}-tab-${name}`}
              aria-selected={name === current}
              aria-controls={`${id}-panel`}
              tabIndex={name === current ? 0 : -1}
              onClick={() => onTabChange(name)}
            >
              {TAB_LABELS[name]}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${current}`} className="rp-body" tabIndex={0}>
          {current === "summary" && <SummaryTab app={app} resource={resource} data={data} />}
          {current === "live" && <LiveTab app={app} resource={resource} data={data} />}
          {current === "desired" && <DesiredTab resource={resource} data={data} />}
          {current === "diff" && <DiffTab resource={resource} data={data} />}
          {current === "events" && <EventsTab app={app} resource={resource} data={data} />}
          {current === "logs" && <LogsTab app={app} resource={resource} data={data} />}
        </div>
      </section>
    </div>
  );
}
