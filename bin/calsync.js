#!/usr/bin/env node
// The sources are TypeScript run through tsx's loader, so the command always runs
// what is checked out: there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../src/main/cli.ts');
