/**
 * @file The network side of the Hub folder: a folder built by lmsynth sent to a Hugging Face Hub dataset
 * repository (`publishFolderIter`, `commitIter` style; `publishFolder` drains it): verified against its
 * manifest, its card's YAML validated by the Hub, the repository created private and gated before any data,
 * commits of at most 100 files, public last; a re-run sends only what the remote lacks. The files side is
 * `@lmsynth/hub-folder`.
 */
export { publishFolderIter, publishFolder, resolveHubToken } from "./publish-folder.js";
export { PublishError } from "./errors.js";

export type { PublishOptions, PublishEvent, PublishResult, ResolveHubTokenOptions } from "./publish-folder.js";
