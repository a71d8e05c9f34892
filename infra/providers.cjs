// The per-provider part of serverless.yml (queues, the shared DLQ, worker functions, roles, alarms and
// ingest's queue settings), generated from the provider catalog in lib/providers/catalog.ts.
// osls loads `${file(…)}` variables with require(), so this stays CommonJS; tsx lets it read the
// TypeScript catalog. Try it: CHANNELS=slack,discord npx serverless print
const { require: load } = require('tsx/cjs/api');

module.exports = async ({ resolveVariable }) => {
  const { providerStack } = load('../lib/infra/stack.ts', __filename);
  const { selectProviders } = load('../lib/infra/select.ts', __filename);
  return providerStack({
    service: await resolveVariable('self:service'),
    stage: await resolveVariable('sls:stage'),
    providers: selectProviders(process.env),
    env: process.env,
    configParam: await resolveVariable('param:configParam'),
  });
};
