// `dialguard policy ...`: the policy command group. Add subcommands (push,
// diff, ...) to the list below.

import { Command } from "../command"
import { policyCheck } from "./policyCheck"
import { policyCode } from "./policyCode"
import { policyPush } from "./policyPush"

export const policy: Command = {
    name: "policy",
    summary: "work with policy files",
    // Usage and the subcommand list are added by the help printer.
    help: `A policy file (JSON, or YAML as .yaml/.yml) holds a site's dialling rules:
{"version":3,"site":{"name":"HQ","areaCode":"025","ipPrefix":"17909"},
 "departments":[...],"handsets":[{"extension":"8001","department":"admin","allow":"domestic"},...]}

Examples:
  dialguard policy check sim/policies/hq.policy.json
  dialguard policy push sim/policies/hq.policy.json --broker mqtt://127.0.0.1:1883 --key hq.key
  echo 482916 | dialguard policy code --key hq.key --owner 王经理 --allow domestic
`,
    subcommands: [policyCheck, policyPush, policyCode],
}
