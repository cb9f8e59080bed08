/** Per-app controls shared by tiles and rows: the bulk-select checkbox and the favourite star. */
import type { AppView } from "./appView";

export interface ItemProps {
  app: AppView;
  selected: ReadonlySet<string>;
  onSelect: (key: string, on: boolean) => void;
  favourites: ReadonlySet<string>;
  onFavourite: (key: string) => void;
}

export function RowControls({ app, selected, onSelect, favourites, onFavourite }: ItemProps) {
  const favourite = favourites.has(app.key);
  return (
    <span className="row-controls">
      <input
        type="checkbox"
        aria-label={`Select ${app.name}`}
        checked={selected.has(app.key)}
        onChange={(event) => onSelect(app.key, event.target.checked)}
      />
      <button
        type="button"
        className={`fav-button${favourite ? " fav-on" : ""}`}
        aria-pressed={favourite}
        aria-label={`Favourite ${app.name}`}
        title={favourite ? "Remove from favourites" : "Add to favourites"}
        onClick={() => onFavourite(app.key)}
      >
        {favourite ? "★" : "☆"}
      </button>
    </span>
  );
}
