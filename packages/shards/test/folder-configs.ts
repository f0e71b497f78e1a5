import { dpoColumns, sftColumns } from "@lmsynth/sinks";

/** The configs these tests write: SFT and DPO rows with their default columns (the pipeline's registry names them in a build). */
export const SFT = { columns: sftColumns() };
export const DPO = { columns: dpoColumns() };
export const SFT_DPO = { sft: SFT, dpo: DPO };
