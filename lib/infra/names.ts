/** serverless.yml's `service:`; a test keeps the two equal. Queue names start with it. */
export const SERVICE = 'flagger-notify';
