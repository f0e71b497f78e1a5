import { redactSecrets } from "@lmsynth/schema";
import { PublishError } from "./errors.js";

/** Where and as whom a Hub API call goes. */
export interface HubCall {
  hubUrl: string;
  accessToken: string;
}

/** What `POST /api/validate-yaml` says of a card: nothing to fix when both lists are empty. */
export interface YamlVerdict {
  errors: string[];
  warnings: string[];
}

/** A Hub answer's message: `{"error": …}` as the Hub writes it, else the status; the token redacted, since a
 * server may echo the request back. */
async function answerOf(response: Response, call: HubCall): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error === "string") return redactSecrets(`HTTP ${response.status}: ${error}`, call.accessToken);
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${response.status}`;
}

/**
 * The Hub's verdict on a dataset card's YAML front matter (`POST /api/validate-yaml`, what `huggingface_hub`
 * asks before it uploads), or undefined when the endpoint does not offer it (404). The Hub rejects a commit
 * whose card YAML it cannot accept, so this runs before anything is sent.
 * @throws PublishError when the Hub answers otherwise.
 */
export async function validateCardYaml(call: HubCall, content: string): Promise<YamlVerdict | undefined> {
  const response = await fetch(`${call.hubUrl}/api/validate-yaml`, {
    method: "POST",
    headers: { Authorization: `Bearer ${call.accessToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ content, repoType: "dataset" }),
  });
  if (response.status === 404) return undefined;
  // A plain error: the publish names the Hub it asked (`publishErrorOf`).
  if (!response.ok) throw new Error(`cannot validate README.md: ${await answerOf(response, call)}`);
  const verdict = (await response.json()) as Partial<YamlVerdict>;
  const messages = (list: unknown): string[] => (Array.isArray(list) ? list.map((e) => (typeof e === "string" ? e : JSON.stringify(e))) : []);
  return { errors: messages(verdict.errors), warnings: messages(verdict.warnings) };
}

/** Settings of a repository that `PUT /api/datasets/{repo}/settings` changes. */
export interface RepoSettings {
  /** Access requests: approved at once (`auto`), by the owner (`manual`), or none (`false`). */
  gated?: "auto" | "manual" | false;
  private?: boolean;
}

/**
 * Changes a dataset repository's settings (`PUT /api/datasets/{repo}/settings`, what `huggingface_hub`'s
 * `update_repo_settings` sends). Gating is this setting, not the card's `extra_gated_*` fields, which only
 * shape the form of a repository that is gated.
 * @throws PublishError with the Hub's answer when it refuses.
 */
export async function updateRepoSettings(call: HubCall, repo: string, settings: RepoSettings): Promise<void> {
  const response = await fetch(`${call.hubUrl}/api/datasets/${repo}/settings`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${call.accessToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(settings),
  });
  if (!response.ok) throw new PublishError(`${repo}: the Hub refused the settings ${JSON.stringify(settings)}: ${await answerOf(response, call)}`);
}
