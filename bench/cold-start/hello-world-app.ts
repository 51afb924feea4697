import { app } from '@azure/functions';

/** The baseline for bench/cold-start: the smallest Functions app there is, one HTTP function. */
app.http('hello-world', {
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ body: 'Hello, world' }),
});
