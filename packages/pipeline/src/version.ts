import { readFileSync } from "node:fs";

/** lmsynth's version, recorded in every manifest, card and report (every package of the workspace has the same). */
export const VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
