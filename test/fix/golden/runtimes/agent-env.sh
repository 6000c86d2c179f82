#!/bin/sh
# agent-env.sh (agent-audit fix, issue 12): start an agent with a scrubbed environment.
#   agent-env.sh COMMAND [ARGS...]      e.g. agent-env.sh claude
# Only these variables reach the agent: HOME, PATH, USER, LANG, TERM (when set), and the proxy
# variables HTTPS_PROXY, HTTP_PROXY, https_proxy, http_proxy, NO_PROXY, no_proxy. Everything
# else is dropped. If the agent itself needs a variable (its model provider's key), add its name
# to KEEP, knowing every command the agent runs can read it.
#
# Secret-holding variables the audit found in the environment:
#   ANTHROPIC_API_KEY: removed
#     Rotate the key and keep it out of the agent's environment; give the agent a scoped key.
#   GITHUB_TOKEN: removed
#     Revoke the token; use a fine-grained token limited to the agent's repositories.
#     Use a fine-grained personal access token (github_pat_) limited to the agent's repositories.
#   HTTPS_PROXY: replaced by the proxy
#     Take the password out of the proxy URL.
set -eu
KEEP='HOME PATH USER LANG TERM'
PROXY=http://127.0.0.1:3128
NOPROXY=localhost,127.0.0.1,::1
if [ "$#" -eq 0 ]; then
  echo 'usage: agent-env.sh COMMAND [ARGS...]' >&2
  exit 64
fi
case "$1" in
  *=*) echo 'agent-env.sh: the command must not contain "=" (env would read it as a variable)' >&2; exit 64 ;;
esac
# The kept variables go in front of the command, in reverse order, after the proxy variables.
for name in $KEEP; do
  case "$name" in
    '' | [0-9]* | *[!A-Za-z0-9_]*) echo 'agent-env.sh: KEEP holds a name that is not a variable name' >&2; exit 64 ;;
  esac
  eval "isset=\${$name+x}"
  if [ -n "$isset" ]; then
    eval "value=\$$name"
    set -- "$name=$value" "$@"
  fi
done
exec /usr/bin/env -i HTTPS_PROXY="$PROXY" HTTP_PROXY="$PROXY" https_proxy="$PROXY" http_proxy="$PROXY" NO_PROXY="$NOPROXY" no_proxy="$NOPROXY" "$@"
