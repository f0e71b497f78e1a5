import type { Lang, SkipReason } from "@lmsynth/schema";

/** Which languages to emit: `both` gives a record's Japanese rows, then its English rows. */
export type LangOption = Lang | "both";

/** One language of one record that gave no row, and why: one count in the funnel. */
export interface Skip {
  lang: Lang;
  reason: SkipReason;
}

/** The languages `lang` stands for, in output order. */
export function langsOf(lang: LangOption = "ja"): Lang[] {
  return lang === "both" ? ["ja", "en"] : [lang];
}
