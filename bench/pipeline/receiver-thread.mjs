// Worker-thread entry: workers do not inherit the TypeScript loader, so register it, then start the receiver.
import { register } from 'tsx/esm/api';

register();
await import('./receiver-thread.ts');
