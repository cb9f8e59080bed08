/** Favourite apps (by `<namespace>/<name>`) and the list's view, kept in this browser only. */
import { useCallback, useState } from "react";

const FAVOURITES = "kapstan.apps.favourites";
const VIEW = "kapstan.apps.view";
export type ListView = "tiles" | "table";

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // storage disabled: nothing remembered, nothing breaks
  }
}

function write(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // storage full or disabled: the choice holds for this page only
  }
}

export function loadFavourites(): Set<string> {
  try {
    const parsed: unknown = JSON.parse(read(FAVOURITES) ?? "[]");
    return new Set(Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === "string") : []);
  } catch {
    return new Set();
  }
}

export function useFavourites(): [ReadonlySet<string>, (key: string) => void] {
  const [favourites, setFavourites] = useState<ReadonlySet<string>>(loadFavourites);
  const toggle = useCallback((key: string) => {
    setFavourites((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      write(FAVOURITES, JSON.stringify([...next]));
      return next;
    });
  }, []);
  return [favourites, toggle];
}

export function useListView(): [ListView, (view: ListView) => void] {
  const [view, setView] = useState<ListView>(() => (read(VIEW) === "table" ? "table" : "tiles"));
  const choose = useCallback((next: ListView) => {
    write(VIEW, next);
    setView(next);
  }, []);
  return [view, choose];
}
