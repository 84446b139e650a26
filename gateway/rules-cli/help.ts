/**
 * Help texts of `claiim rules …` (issue 5 item 6). Each command prints its own with `--help` and exits 0.
 * Exit codes are the same for every command: 0 ok, 1 failing tests or changed decisions, 2 bad usage or
 * invalid config.
 */

/** The one line for the main `claiim` help. */
export const RULES_MAIN_HELP_LINE = '  rules <check|test|explain|replay> …\n                            validate, test, explain and replay policies (CI-friendly)\n';

/** `claiim rules --help`. */
export const RULES_HELP = `Usage: claiim rules <command> [options]

Commands:
  check    [--config FILE]        validate the config and its rule files; every problem with file:line:col
  test     [--config FILE]        run the policy tests beside each rule file (X.yaml → X.test.yaml)
  explain  --agent ID METHOD URL  the decision for one request, the deciding rule, and why every rule
                                  whose path matched did or did not match
  replay   --chron DB             re-decide recorded traffic with a candidate policy; list what would change

Every command takes --json for machine output and --help for its options.
Exit codes: 0 ok, 1 failing tests or changed decisions, 2 bad usage or invalid config.
`;

/** `claiim rules check --help`. */
export const CHECK_HELP = `Usage: claiim rules check [--config FILE] [--require-secrets] [--json]

Loads FILE and every rule file it includes exactly as "claiim start" does (schema, references, rules)
and prints every problem as file:line:col: CODE message. Upstream credentials are not needed: an
unset credential variable gets a placeholder and an unreadable credential file is not reported
(the output says which were skipped); --require-secrets checks them as "claiim check" does.

Options:
  --config FILE       the gateway configuration (default: claiim.yaml)
  --require-secrets   also require every upstream credential to be readable
  --json              print one JSON document {file, valid, policy_digest, sources, problems, …}
  --help              show this help

Exit codes: 0 valid, 2 invalid (or bad usage).
`;

/** `claiim rules test --help`. */
export const TEST_HELP = `Usage: claiim rules test [--config FILE] [--require-secrets] [--json]

Runs the policy test cases that sit beside the rule files: for the config file and for every
rule file a policy includes, X.yaml (or X.yml) has its cases in X.test.yaml, a YAML list in the
format of docs/rules.md "Policy tests". A case without "agent"/"upstream" is run for every agent of
the policies that use that rule file, for their upstream. Each case is reported as
test_<name>_<allowed|denied|refused>; a failure as file:line:col: ERR_RULES_TEST_FAILED … naming
the field, the expected and the actual value.

Options:
  --config FILE       the gateway configuration (default: claiim.yaml)
  --require-secrets   require every upstream credential to be readable
  --json              print one JSON document {passed, failed, cases: […], problems: […]}
  --help              show this help

Exit codes: 0 every case passed, 1 a case failed, 2 invalid config or case file (or bad usage).
`;

/** `claiim rules explain --help`. */
export const EXPLAIN_HELP = `Usage: claiim rules explain [--config FILE] --agent ID [options] METHOD URL

Decides one request the way the gateway does and says why. URL is the gateway URL the agent would
call (https://gateway/github/repos/acme/app or /github/repos/acme/app): it is canonicalized and
routed exactly like a request (mount removed, or Host routing), then the aiorg wall, the body parse
(only when a rule reads it) and the policy run. Prints the decision, the deciding rule, the shadow
rules that matched, and every rule whose path template matched with what did not hold.

Options:
  --config FILE       the gateway configuration (default: claiim.yaml)
  --agent ID          the agent (the verified JWT "sub")
  --header K:V        a request header (repeatable; a repeated name gives several values)
  --body FILE         the request body; its content-type is --header content-type or else the one
                      the rules need (application/json or application/x-www-form-urlencoded)
  --skill NAME@VER    the JWT "skill" claim
  --approved RULE     a rule id of the URL's upstream an approval session covers (repeatable)
  --json              print one JSON document {request, decision, rules, …}
  --help              show this help

Exit codes: 0 explained (whatever the decision), 2 invalid config or bad usage.
`;

/** `claiim rules replay --help`. */
export const REPLAY_HELP = `Usage: claiim rules replay --chron DB [--config FILE] [--json]

Reads the chron.decision/v1 entries of the Chron database DB (read-only) and decides each again with
the candidate policy in FILE; lists every entry whose effect or deciding rule would change. Entries
keep only digests of query, headers and body, so an entry for which a candidate rule with a matching
method and path reads the query, headers, body or GraphQL request, or requires an approval session,
is listed as "not replayable (reads …)" instead of guessed. Requests refused before policy (bad
target, token, …) are skipped.

Options:
  --chron DB          the Chron SQLite database (opened read-only)
  --config FILE       the candidate configuration (default: claiim.yaml)
  --require-secrets   require every upstream credential to be readable
  --json              print one JSON document {summary, changed: […], not_replayable: […]}
  --help              show this help

Exit codes: 0 no decision would change, 1 some would, 2 invalid config, unreadable DB or bad usage.
`;
