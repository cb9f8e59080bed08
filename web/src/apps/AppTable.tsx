/**
 * The table view: one row per app, virtualised (only the rows in sight are in the DOM, so
 * thousands of apps scroll smoothly). ARIA table roles keep it a table for screen readers;
 * rows are a CSS grid so virtual rows can be positioned absolutely.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useRef } from "react";
import { Link } from "react-router-dom";
import type { AppView } from "./appView";
import { AppBadges, formatTime } from "./AppStatus";
import { RowControls, type ItemProps } from "./RowControls";

const ROW = 44;

const RowCells = memo(function RowCells({ app, ...props }: ItemProps) {
  return (
    <>
      <span role="cell" className="apps-controls"><RowControls app={app} {...props} /></span>
      <span role="cell" className="apps-name">
        <Link to={`/applications/${encodeURIComponent(app.namespace)}/${encodeURIComponent(app.name)}`}>{app.name}</Link>
      </span>
      <span role="cell">{app.project}</span>
      <span role="cell"><AppBadges app={app} /></span>
      <span role="cell" className="apps-ellipsis" title={app.repo}>{app.repo}</span>
      <span role="cell" className="apps-ellipsis" title={app.path}>{app.path}</span>
      <span role="cell" className="apps-ellipsis" title={app.revision}>{app.revision}</span>
      <span role="cell" className="apps-ellipsis" title={`${app.cluster} / ${app.destNamespace}`}>
        {app.cluster}/{app.destNamespace}
      </span>
      <span role="cell" className="apps-ellipsis" title={formatTime(app.lastSync)}>{formatTime(app.lastSync)}</span>
    </>
  );
});

export const AppTable = memo(function AppTable({ apps, ...props }: { apps: AppView[] } & Omit<ItemProps, "app">) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({
    count: apps.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 8,
  });
  return (
    <div className="apps-scroll" ref={scroller}>
      <div role="table" aria-label="Applications" aria-rowcount={apps.length + 1} className="apps-table">
        <div role="row" aria-rowindex={1} className="apps-row apps-head">
          <span role="columnheader"><span className="sr-only">Select and favourite</span></span>
          <span role="columnheader">Name</span>
          <span role="columnheader">Project</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Repository</span>
          <span role="columnheader">Path</span>
          <span role="columnheader">Revision</span>
          <span role="columnheader">Destination</span>
          <span role="columnheader">Last sync</span>
        </div>
        <div role="rowgroup" className="apps-body" style={{ height: rows.getTotalSize() }}>
          {rows.getVirtualItems().map((row) => {
            const app = apps[row.index];
            return (
              <div
                role="row"
                key={app.key}
                aria-rowindex={row.index + 2}
                data-app={app.key}
                className="apps-row"
                style={{ transform: `translateY(${row.start}px)`, height: ROW }}
              >
                <RowCells app={app} {...props} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
});
