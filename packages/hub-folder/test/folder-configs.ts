import { dpoLayout, sftLayout } from "@lmsynth/schema";

/** The configs these tests write: SFT and DPO rows with their default columns (the pipeline's registry names them in a build). */
export const SFT = { columns: sftLayout().columns };
export const DPO = { columns: dpoLayout().columns };
export const SFT_DPO = { sft: SFT, dpo: DPO };
