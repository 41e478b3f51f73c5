import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Where `npm run dev` sends API calls: a server started with
// `switchboard serve --plaintext --listen 127.0.0.1:8443`.
const devApi = process.env.SWITCHBOARD_DEV_API ?? "http://127.0.0.1:8443";

// web/embed.go embeds dist/ with `//go:embed all:dist`, which fails to
// compile when dist/ is missing, so dist/.keep is committed. emptyOutDir
// removes it on every build; this puts it back.
function keepDistPlaceholder(): Plugin {
  return {
    name: "switchboard:keep-dist-placeholder",
    apply: "build",
    async closeBundle() {
      await writeFile(here("dist/.keep"), "");
    },
  };
}

export default defineConfig({
  plugins: [react(), keepDistPlaceholder()],
  resolve: {
    alias: {
      "@switchboard/client": here("../clients/ts/src/index.ts"),
    },
    // ../clients/ts and ../gen/ts have no node_modules of their own: resolve
    // their imports from this directory, one copy each.
    dedupe: ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-web"],
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // A budget, not a target, for the entry chunk every visitor loads:
    // React DOM (~200 kB), the protobuf runtime, the buf.validate descriptor
    // that the generated code imports, and react-aria's overlay and menu code
    // (the header's account menu, ~115 kB) make up most of today's ~690 kB.
    // The Users area, the account pages, dialogs and form fields load on
    // demand in chunks of their own. Warn when the entry grows past this.
    chunkSizeWarningLimit: 720,
  },
  server: {
    host: "localhost",
    fs: { allow: [here("."), here("../clients/ts"), here("../gen/ts")] },
    proxy: {
      "^/(switchboard\\.[a-z0-9.]+\\.[A-Za-z]+Service|grpc\\.health\\.v1\\.Health)/": devApi,
      "/api/": devApi,
      "/readyz": devApi,
    },
  },
});
