// SPDX-License-Identifier: Apache-2.0
// jobsessions completion bash|zsh: the shell completion scripts.
#include "cli/context.hpp"

#include <cstdio>

namespace jobsessions::cli {
namespace {

// Commands, their subcommands, the options that take a value (whose value is never taken for a command), and
// the values that options take. zsh uses the same function through bashcompinit.
constexpr const char* kBash = R"(# jobsessions completion for bash (and zsh, through bashcompinit)
_jobsessions() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local with_value=" --server --profile -o --output --fingerprint --cacert --type --status --policy --from --to --text --usn --limit --offset --timeout -f --file -O --output-file --format --policy-name --idempotency-key --warning-exit-codes -u --username "
    local command="" subcommand="" i word
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -- ]]; then return; fi
        if [[ $with_value == *" $word "* ]]; then ((i++)); continue; fi
        if [[ $word == -* ]]; then continue; fi
        if [[ -z $command ]]; then command=$word; elif [[ -z $subcommand ]]; then subcommand=$word; fi
    done
    case $prev in
        -o|--output) COMPREPLY=($(compgen -W "table wide json jsonl yaml tsv csv" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "csv json" -- "$cur")); return ;;
        --status) COMPREPLY=($(compgen -W "Pending Running RunningWithWarning RunningWithError Canceling Success Warning Error Canceled NeverExecuted" -- "$cur")); return ;;
        --type) COMPREPLY=($(compgen -W "PolicyBackup PolicySnapshot PolicyArchive ManualSnapshot AutoBackup RestoreVms RestoreDisks FileLevelRestore HealthCheck BackupRetention BackupDeletion SnapshotDeletion ManualSnapshotDeletion ObsoleteSnapshotRetention InvalidSnapshotRetention OrphanedSnapshotRetention RepositoryCreation RepositoryDeletion RepositoryEdit" -- "$cur")); return ;;
        --cacert|-f|--file|-O|--output-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ $with_value == *" $prev "* ]]; then return; fi
    local words
    case $command/$subcommand in
        /) words="login logout about sessions policies run completion" ;;
        sessions/) words="list get log export wait watch stop create append finish" ;;
        policies/) words="list get create apply delete enable disable start" ;;
        completion/) words="bash zsh" ;;
        sessions/list) words="--type --status --policy --from --to --text --usn --limit --offset --all" ;;
        sessions/export) words="--type --status --policy --from --to --text --usn --format -O --output-file" ;;
        sessions/log) words="--offset --limit --follow --exit-status" ;;
        sessions/wait) words="--timeout --exit-status" ;;
        sessions/watch) words="--usn" ;;
        sessions/create) words="--type --status --policy-name --idempotency-key" ;;
        sessions/append) words="--status --idempotency-key" ;;
        sessions/finish) words="--status" ;;
        policies/create|policies/apply) words="-f --file" ;;
        policies/delete) words="--force" ;;
        policies/start) words="--follow --exit-status" ;;
        login/*) words="--username --password-stdin" ;;
        run/*) words="--type --policy-name --idempotency-key --warning-exit-codes --" ;;
    esac
    if [[ $cur == -* || -z $words || $words == -* ]]; then
        words="$words --server --profile --output --utc --fingerprint --cacert --insecure --help"
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _jobsessions jobsessions
)";

constexpr const char* kZshPrelude = R"(# jobsessions completion for zsh: the bash completion, through bashcompinit
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
)";

} // namespace

void add_completion_command(CLI::App& app)
{
    auto shell = std::make_shared<std::string>();
    auto* command = app.add_subcommand("completion", "Print the shell completion script (bash or zsh)");
    command->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
    command->footer("\nExamples:\n"
                    "  jobsessions completion bash > /etc/bash_completion.d/jobsessions\n"
                    "  source <(jobsessions completion zsh)   # in ~/.zshrc");
    command->callback([shell] {
        if (*shell == "zsh") {
            std::fputs(kZshPrelude, stdout);
        }
        std::fputs(kBash, stdout);
    });
}

} // namespace jobsessions::cli
