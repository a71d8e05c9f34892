/** Where a CLI command writes and what environment it reads (tests give their own). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Where npm start's record is looked for (default: the working directory). */
  cwd?: string;
}
