// The page's files, read once at start: index.html and the stylesheets from web/static/ (in the
// source tree; tsc does not copy them), the page's scripts as tsc compiled web/client/*.ts
// (ES modules the browser loads directly, no bundler). Nothing comes from a CDN.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fromPackageRoot } from "../../util/packageRoot";

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** URL path → file. */
export function loadStaticFiles(): Map<string, StaticFile> {
  const staticDirs = [path.join(__dirname, "static"), fromPackageRoot("src", "collector", "web", "static")];
  const staticDir = staticDirs.find((d) => fs.existsSync(path.join(d, "index.html")));
  const clientDir = path.join(__dirname, "client");
  if (!staticDir || !fs.existsSync(path.join(clientDir, "main.js"))) {
    throw new Error(
      `the review page's files were not found (tried ${[...staticDirs, clientDir].join(", ")}); run "npm run build"`,
    );
  }
  const files = new Map<string, StaticFile>();
  const add = (urlPath: string, file: string): void => {
    const body = fs.readFileSync(file);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    files.set(urlPath, { body, type: TYPES[path.extname(file)] ?? "application/octet-stream", etag });
  };
  for (const name of fs.readdirSync(staticDir)) add(`/static/${name}`, path.join(staticDir, name));
  for (const name of fs.readdirSync(clientDir).filter((n) => n.endsWith(".js"))) {
    add(`/app/${name}`, path.join(clientDir, name));
  }
  files.set("/", files.get("/static/index.html")!);
  return files;
}
