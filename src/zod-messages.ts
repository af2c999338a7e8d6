// zod's small build starts without messages; these are the English ones its full build uses.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());
