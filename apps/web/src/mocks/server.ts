// The mock API for component tests (Node): the same handlers as dev:mock, no latency.
import { setupServer } from 'msw/node';
import { handlers } from './handlers';

export const server = setupServer(...handlers);
