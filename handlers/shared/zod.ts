/**
 * zod for the handlers: the functional build (`zod/mini`), whose unused checks and methods the bundler drops
 * (about 20 KB bundled where the classic `zod` API is about 85 KB and takes over twice as long to load),
 * with zod's English messages, which zod/mini leaves out by default, so issues still read "expected string,
 * received undefined" rather than "Invalid input". Import it as `import * as z from '../shared/zod'`.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';

z.config(en());

export * from 'zod/mini';
