import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * Validation messages in English for schemas built with zod/mini, which ships none of its own (the
 * full build sets these itself). Imported for its effect by every module that builds mini schemas.
 */
config(en());
