import puppeteer from 'puppeteer-core';

/**
 * Headless Chromium as the inbox screenshot and its browser test drive it: no sandbox (CI runs as
 * root in a container) and none of Chromium's own network traffic, so only loopback is touched.
 */
export const launchChromium = (executablePath: string) =>
  puppeteer.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
