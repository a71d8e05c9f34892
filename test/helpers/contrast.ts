/// <reference lib="dom" />
import type { Page } from 'puppeteer-core';

/**
 * Every visible element with text of its own, whose colour against the background behind it is
 * under WCAG's 4.5:1 for normal text: what it says and its ratio. Runs in the page.
 */
export function lowContrast(page: Page, root = 'body'): Promise<string[]> {
  return page.$$eval(root, (roots) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number) as number[];
    const lum = ([r = 0, g = 0, b = 0]: number[]) => {
      const ch = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
    };
    const background = (e: Element | null): number[] => {
      for (let x = e; x; x = x.parentElement) {
        const c = rgb(getComputedStyle(x).backgroundColor);
        if (c.length < 4 || (c[3] ?? 1) > 0) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out: string[] = [];
    for (const r of roots)
      for (const e of [r, ...r.querySelectorAll('*')]) {
        const own = [...e.childNodes].some((n) => n.nodeType === 3 && (n.textContent ?? '').trim());
        const box = e.getBoundingClientRect();
        if (!own || !box.width || !box.height || getComputedStyle(e).visibility === 'hidden') continue;
        const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const where = e.closest('[data-provider]')?.getAttribute('data-provider');
        if (ratio < 4.5)
          out.push(
            `${where ? `${where}: ` : ''}${(e.textContent ?? '').trim().slice(0, 40)} (${ratio.toFixed(2)}:1)`,
          );
      }
    return out;
  });
}
