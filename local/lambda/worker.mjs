// Worker-thread entry: workers do not inherit the TypeScript loader, so register it, then start the host.
import { register } from 'tsx/esm/api';

register();
await import('./worker-host.ts');
