// `npm run echo-webhooks`: a stand-in Slack and Teams on 127.0.0.1 that print what they receive,
// for trying the pipeline before you have real webhook URLs.
import { createServer } from 'node:http';

const port = Number(process.env.ECHO_PORT ?? 4000);
createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const channel = req.url?.startsWith('/teams') ? 'teams' : 'slack';
    let shown = body;
    try {
      shown = JSON.stringify(JSON.parse(body), null, 2);
    } catch {}
    console.log(`--- ${channel} ${new Date().toISOString()}\n${shown}`);
    // Slack answers 200 "ok", a Teams Workflows webhook 202.
    res.writeHead(channel === 'teams' ? 202 : 200);
    res.end(channel === 'teams' ? '' : 'ok');
  });
}).listen(port, '127.0.0.1', () => {
  console.log(`echo webhooks on http://127.0.0.1:${port}/slack and http://127.0.0.1:${port}/teams`);
});
