// A local stand-in for the Hugging Face Hub endpoints `@huggingface/hub` calls for a dataset commit: repo
// info, repo create, preupload, LFS batch (basic transfer, so no Xet), LFS PUT, and the NDJSON commit, plus
// what reading a repo needs: the file tree and `resolve` downloads. Commits are applied to an in-memory
// copy of the repo (`files`). Also the settings endpoint (gating, visibility) and the card YAML validation
// the way the Hub documents them. Listens on 127.0.0.1 only. Shared by the shards and CLI publish tests.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";

/**
 * Starts the fake Hub for dataset `repo` (`owner/name`); `existing` says whether the repo exists yet.
 * Resolves to `{ hubUrl, received, close }`; `received` records every request, the Authorization header
 * per route kind (Hub API vs LFS storage), the create body, preupload entries, LFS bodies by oid and the
 * commit's NDJSON lines, and `settings` the bodies of `PUT …/settings` in order. The returned object also
 * takes test hooks: `yamlErrors` / `yamlWarnings` (what validate-yaml answers), `validateYaml: false` (it
 * answers 404, as an endpoint without it), `refuseSettings` (a settings key the token may not change: 403),
 * `holdCommit: n` (the n-th commit gets no answer and is not applied; `onHold()` is called then).
 */
export async function startFakeHub(repo = "alice/synth", existing = false) {
  const received = { requests: [], authorizations: { api: new Set(), storage: new Set() }, preupload: [], lfs: new Map(), commits: [], settings: [] };
  const hooks = { yamlErrors: [], yamlWarnings: [], validateYaml: true, refuseSettings: undefined, holdCommit: undefined, onHold: () => {} };
  const state = { gated: false, private: !existing ? undefined : false };
  /** The repo's files: path → { bytes, lfs } (lfs: stored through LFS, listed with its sha256). */
  const files = new Map();
  let exists = existing;
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, "http://127.0.0.1");
    const route = `${req.method} ${url.pathname}`;
    received.requests.push(route);
    const kind = url.pathname.startsWith("/lfs/") ? "storage" : "api";
    received.authorizations[kind].add(req.headers.authorization);
    const base = `http://127.0.0.1:${server.address().port}`;
    const json = (status, value) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (route === `GET /api/datasets/${repo}`) return exists ? json(200, { id: repo }) : json(404, { error: "Repository not found" });
    if (route === "POST /api/repos/create") {
      received.created = JSON.parse(body.toString("utf8"));
      state.private = received.created.private === true || received.created.visibility === "private";
      exists = true;
      return json(200, { url: `${base}/datasets/${repo}`, id: repo });
    }
    if (route === `POST /api/datasets/${repo}/preupload/main`) {
      const files = JSON.parse(body.toString("utf8")).files;
      received.preupload.push(...files.map(({ path, size }) => ({ path, size })));
      // Data files go through LFS; README.md and manifest.json inline in the commit, as on the Hub.
      return json(200, { files: files.map((f) => ({ path: f.path, uploadMode: f.path.endsWith(".md") || f.path.endsWith(".json") ? "regular" : "lfs" })) });
    }
    if (route === `POST /datasets/${repo}.git/info/lfs/objects/batch`) {
      const request = JSON.parse(body.toString("utf8"));
      return json(200, {
        transfer: "basic",
        objects: request.objects.map(({ oid, size }) => ({ oid, size, actions: { upload: { href: `${base}/lfs/${oid}` } } })),
      });
    }
    if (req.method === "PUT" && url.pathname.startsWith("/lfs/")) {
      const oid = url.pathname.slice(5);
      if (createHash("sha256").update(body).digest("hex") !== oid) return json(400, { error: "oid mismatch" });
      received.lfs.set(oid, body);
      res.writeHead(200).end();
      return;
    }
    if (route === "POST /api/validate-yaml") {
      if (!hooks.validateYaml) return json(404, { error: "Not Found" });
      const { content, repoType } = JSON.parse(body.toString("utf8"));
      if (typeof content !== "string" || repoType !== "dataset") return json(400, { error: "content and repoType are required" });
      received.validated = content;
      return json(200, { errors: hooks.yamlErrors, warnings: hooks.yamlWarnings });
    }
    if (route === `PUT /api/datasets/${repo}/settings`) {
      if (!exists) return json(404, { error: "Repository not found" });
      const settings = JSON.parse(body.toString("utf8"));
      if (hooks.refuseSettings !== undefined && hooks.refuseSettings in settings) return json(403, { error: `You are not allowed to change ${hooks.refuseSettings}` });
      if ("gated" in settings && ![false, "auto", "manual"].includes(settings.gated)) return json(400, { error: "gated must be false, auto or manual" });
      received.settings.push(settings);
      Object.assign(state, settings);
      return json(200, {});
    }
    if (route === `POST /api/datasets/${repo}/commit/main` && hooks.holdCommit === received.commits.length + 1) {
      received.held = true;
      hooks.onHold();
      return;
    }
    if (route === `POST /api/datasets/${repo}/commit/main`) {
      received.commit = body.toString("utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
      received.commits.push(received.commit);
      for (const { key, value } of received.commit) {
        if (key === "file") files.set(value.path, { bytes: Buffer.from(value.content, "base64"), lfs: false });
        else if (key === "lfsFile") files.set(value.path, { bytes: received.lfs.get(value.oid), lfs: true });
        else if (key === "deletedFile") files.delete(value.path);
      }
      return json(200, { commitOid: "c0ffee", commitUrl: `${base}/datasets/${repo}/commit/c0ffee` });
    }
    if (route === `GET /api/datasets/${repo}/tree/main`) {
      return json(
        200,
        // `treeSize`, when a test sets it, is what the tree says the size is (a remote that lies).
        [...files].map(([path, { bytes, lfs, treeSize }]) => {
          const sha256 = createHash("sha256").update(bytes).digest("hex");
          return { type: "file", path, size: treeSize ?? bytes.length, oid: sha256.slice(0, 40), ...(lfs ? { lfs: { oid: sha256, size: bytes.length, pointerSize: 128 } } : {}) };
        }),
      );
    }
    if (req.method === "GET" && url.pathname.startsWith(`/datasets/${repo}/resolve/main/`)) {
      const file = files.get(decodeURIComponent(url.pathname.slice(`/datasets/${repo}/resolve/main/`.length)));
      if (!file) return json(404, { error: "Entry not found" });
      res.writeHead(200).end(file.bytes);
      return;
    }
    json(404, { error: `unexpected ${route}` });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return Object.assign(hooks, {
    hubUrl: `http://127.0.0.1:${server.address().port}`,
    received,
    files,
    state,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
