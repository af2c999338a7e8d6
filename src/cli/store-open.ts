import { AirlockError, ErrorCodes } from '../errors.js';
import { OciLayout } from '../transport/layout/layout.js';
import { defaultStoreDir } from '../transport/layout/store.js';

/** The store the `store` subcommands work on: `--store` or the default; USAGE when there is none yet. */
export async function openStore(flag: string | undefined): Promise<OciLayout> {
  const dir = flag ?? defaultStoreDir();
  try {
    return await OciLayout.open(dir);
  } catch (err) {
    if (err instanceof AirlockError && err.code === ErrorCodes.LAYOUT_INVALID) {
      throw new AirlockError(ErrorCodes.USAGE, `no store at ${dir} (airlock pull fills one): ${err.message}`, { store: dir });
    }
    throw err;
  }
}
