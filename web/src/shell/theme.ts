/**
 * Light or dark: the user's choice kept in localStorage, else the OS preference; applied as
 * `data-theme` on <html> (styles.css keys its variables on it). Applied at import, so the first
 * paint already has the right colours on every page, login included.
 */
import { useCallback, useState } from "react";

export type Theme = "light" | "dark";
const KEY = "kapstan.theme";

export function storedTheme(): Theme | null {
  try {
    const value = window.localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null;
  }
}

export function preferredTheme(): Theme {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function currentTheme(): Theme {
  return storedTheme() ?? preferredTheme();
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

applyTheme(currentTheme());

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(currentTheme);
  const toggle = useCallback(() => {
    setTheme((current) => {
      const next: Theme = current === "dark" ? "light" : "dark";
      try {
        window.localStorage.setItem(KEY, next);
      } catch {
        // storage disabled: the choice holds until the page is left
      }
      applyTheme(next);
      return next;
    });
  }, []);
  return [theme, toggle];
}
