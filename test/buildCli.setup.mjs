// vitest globalSetup: the tests run the real CLI, bin/dialguard.mjs, which
// rebuilds dist/ when a source changed; doing it once here spares the many
// CLI processes the tests start at once from each rebuilding it.
import { buildCli, bundleIsCurrent } from "../scripts/build-cli.mjs"

export async function setup() {
    if (!bundleIsCurrent()) await buildCli()
}
