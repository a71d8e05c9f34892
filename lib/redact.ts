/** Webhook URLs are credentials: only their host may appear in logs and errors. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}
