/**
 * The tiles view: a responsive grid of cards, virtualised by rows of tiles (as many columns as
 * fit the width, one on a phone), so thousands of apps cost only the visible rows.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useLayoutEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import type { AppView } from "./appView";
import { AppBadges, formatTime } from "./AppStatus";
import { RowControls, type ItemProps } from "./RowControls";

const TILE_WIDTH = 330;
const TILE_HEIGHT = 196;

function useColumns(element: React.RefObject<HTMLDivElement | null>): number {
  const [columns, setColumns] = useState(1);
  // Measured before paint: the first frame already has the right number of columns.
  useLayoutEffect(() => {
    const node = element.current;
    if (!node) return;
    const measure = () => setColumns(Math.max(1, Math.floor(node.clientWidth / TILE_WIDTH)));
    measure();
    if (typeof ResizeObserver === "undefined") return; // no layout to follow (tests, old engines)
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, [element]);
  return columns;
}

const TileCard = memo(function TileCard({ app, ...props }: ItemProps) {
  return (
    <article className="app-tile-card" aria-label={app.name}>
      <header className="app-tile-head">
        <Link className="app-tile-name" to={`/applications/${encodeURIComponent(app.namespace)}/${encodeURIComponent(app.name)}`}>
          {app.name}
        </Link>
        <RowControls app={app} {...props} />
      </header>
      <AppBadges app={app} />
      <dl className="app-tile-fields">
        <dt>Project</dt>
        <dd>{app.project}</dd>
        <dt>Repository</dt>
        <dd title={app.repo}>{app.repo}</dd>
        <dt>Path</dt>
        <dd>{app.path}</dd>
        <dt>Revision</dt>
        <dd>{app.revision}</dd>
        <dt>Destination</dt>
        <dd>{app.cluster}/{app.destNamespace}</dd>
        <dt>Last sync</dt>
        <dd>{formatTime(app.lastSync)}</dd>
      </dl>
    </article>
  );
});

export const AppTiles = memo(function AppTiles({ apps, ...props }: { apps: AppView[] } & Omit<ItemProps, "app">) {
  const scroller = useRef<HTMLDivElement>(null);
  const columns = useColumns(scroller);
  const rowCount = Math.ceil(apps.length / columns);
  const rows = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scroller.current,
    estimateSize: () => TILE_HEIGHT,
    overscan: 3,
  });
  return (
    <div className="apps-scroll" ref={scroller}>
      <ul className="apps-tiles" aria-label="Applications" style={{ height: rows.getTotalSize() }}>
        {rows.getVirtualItems().flatMap((row) =>
          apps.slice(row.index * columns, row.index * columns + columns).map((app, column) => (
            <li
              key={app.key}
              data-app={app.key}
              className="app-tile"
              style={{
                transform: `translate(${column * 100}%, ${row.start}px)`,
                width: `${100 / columns}%`,
                height: TILE_HEIGHT,
              }}
            >
              <TileCard app={app} {...props} />
            </li>
          )),
        )}
      </ul>
    </div>
  );
});
