/*
 * tests/report/cli_driver.c: runs `llmgw cost ...` (examples/cli/cmd_cost.c)
 * without the rest of the CLI: `cost_cli report --json LOG` is
 * `llmgw cost report --json LOG`. Linked against the shared library, so it
 * sees only the public API.
 */
int cli_cmd_cost(int argc, char **argv);

int main(int argc, char **argv)
{
    argv[0] = (char *)"cost";
    return cli_cmd_cost(argc, argv);
}
