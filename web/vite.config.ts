/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build lands in the Python package (never committed): `kapstan server` serves it on the
// API's port. Relative asset URLs keep `--basehref` working: index.html's <base href> decides.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "../src/kapstan/api/webui",
    emptyOutDir: true,
    assetsDir: "assets",
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
