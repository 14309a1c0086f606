// `dialguard key new FILE`: a new random site key for signing policies.

import { Command, EXIT_OK, parseOptions } from "../command"
import { onePositional } from "../fleet/options"
import { writeNewKeyFile } from "../fleet/sign"

const NEW_HELP = `Usage:
  dialguard key new FILE

Writes a new random site key (32 bytes from the system's secure random
source, as 64 hex digits and a newline) to FILE with mode 0600. FILE must
not exist: a site's boards all hold the same key, so replacing it is a
deliberate step (remove the old file first, then install the new key on
every board before pushing with it).

\`dialguard policy push --key FILE\` signs policies with it (HMAC-SHA256);
the boards refuse a policy whose signature does not match their key.
Keep the file secret: whoever has it can push policies to the site.

Exit status: 0 written; 1 FILE exists or cannot be written; 2 usage error.

Example:
  dialguard key new hq.key
`

const keyNew: Command = {
    name: "new",
    summary: "write a new random site key file (mode 0600)",
    help: NEW_HELP,
    run(args) {
        const p = parseOptions(args, {})
        const file = onePositional(p, "FILE (where to write the key)")
        writeNewKeyFile(file)
        process.stdout.write(
            `${file}: new site key written (mode 0600); install the same key on every board of the site\n`
        )
        return EXIT_OK
    },
}

export const key: Command = {
    name: "key",
    summary: "site keys that sign policies",
    help: `A site key (64 hex digits in a file) signs the policies pushed to a
site's boards; every board of the site holds the same key.
`,
    subcommands: [keyNew],
}
