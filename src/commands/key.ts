// `dialguard key new FILE`: a new random site key for signing policies;
// `dialguard key rotate`: the site's boards moved to a new key over MQTT.

import { Command, EXIT_OK, parseOptions } from "../command"
import { BROKER_HELP } from "../fleet/broker"
import { onePositional } from "../fleet/options"
import { writeNewKeyFile } from "../fleet/sign"
import { runPush } from "./policyPush"

const NEW_HELP = `Usage:
  dialguard key new FILE

Writes a new random site key (32 bytes from the system's secure random
source, as 64 hex digits and a newline) to FILE with mode 0600. FILE must
not exist: replacing a site's key is a deliberate step ('dialguard key
rotate' moves the boards to a new one over MQTT).

Each board holds its own key, derived from the site key and its id
('dialguard flash --key FILE' writes it). \`dialguard policy push --key
FILE\` signs each board's share with that board's key (HMAC-SHA256); the
boards refuse a policy whose signature does not match their key. Keep the
file secret: whoever has it can push policies to the site.

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
            `${file}: new site key written (mode 0600); each board gets its own key from it with 'dialguard flash --key ${file}' (or moves to it with 'dialguard key rotate')\n`
        )
        return EXIT_OK
    },
}

const ROTATE_HELP = `Usage:
  dialguard key rotate FILE --broker URL --key KEYFILE --new-key NEWKEYFILE
                       [--site ID] [--timeout 30s] [--json] [broker options]

Moves every board of the site from the site key in KEYFILE to the one in
NEWKEYFILE, over MQTT: nothing on the boards is touched by hand. If
NEWKEYFILE does not exist, a new random key is written there first (mode
0600), before anything is published.

It is a 'dialguard policy push' of FILE (the policy the site enforces, or a
newer version; same checks, same table and exit status) in which each
board's share is signed with its key from NEWKEYFILE and carries that key
sealed under its current key (AES-256-CCM, src/fleet/PROTOCOL.md). A board
opens it only with the key it holds now, checks the signature with the key
inside, stores the new key in its configuration, and from then on signs its
state with it and takes nothing signed with the old one. "applied" means
the board's state is signed with the new key and names this policy. A
forged, truncated or replayed rotation message changes nothing: it does not
open, so the board checks the policy with the key it holds and refuses it.

Same version: with no authorization codes a board's share is the same text
and the board keeps its policy; with codes the share changes (their HMACs
are made with the new key), so raise "version" in FILE first.

When every board has applied it, the new key is the site's: use --key
NEWKEYFILE for push, status, report and collect (the counters seen so far,
KEYFILE.seen.json, are copied to NEWKEYFILE.seen.json); KEYFILE opens
nothing on the boards any more. A board that was offline or did not answer
keeps the old key and gets the message when it reconnects (it is
retained): run the same command again to see it confirm. A board that
refused (firmware before key rotation, or another key) keeps the old key:
re-flash it with 'dialguard flash --key NEWKEYFILE'.

Options:
  FILE                 policy file (.json, or .yaml/.yml)
  --key KEYFILE        the site key the boards hold now
  --new-key NEWKEYFILE the new site key (written if the file does not exist)
  --site ID            site id; default: the policy's site.name lower-cased
  --timeout T          how long to wait for the boards (default 30s)
  --json               as 'policy push --json', with "rotation": whether it
                       is done and what to do next
${BROKER_HELP}
  -h, --help           show this help

Exit status: as 'policy push': 0 every board holds the new key; 3 a board
refused; 4 some did not confirm (offline, no answer); 5 no boards known;
1 nothing published; 2 usage error.

Example:
  dialguard key rotate site.yaml --broker mqtts://mqtt.example.cn --ca ca.pem \\
      --username admin --key hq.key --new-key hq-2027.key
`

const keyRotate: Command = {
    name: "rotate",
    summary: "move a site's boards to a new site key over MQTT",
    help: ROTATE_HELP,
    run: args => runPush(args, true),
}

export const key: Command = {
    name: "key",
    summary: "site keys: a new one, or the boards moved to a new one",
    help: `A site key (64 hex digits in a file) signs what is pushed to a site's
boards: each board holds its own key, derived from it and its id.
`,
    subcommands: [keyNew, keyRotate],
}
