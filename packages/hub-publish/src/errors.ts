/**
 * A publish that the Hub or the network refused, on one line: what failed (`cannot reach
 * http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9`, or the Hub's answer), with the token and any
 * Authorization header redacted, including text the Hub echoes back. Exit code 2 at the CLI.
 */
export class PublishError extends Error {
  override name = "PublishError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
