from assay.cli import build_parser


def test_run_takes_formats_and_format_seed():
    args = build_parser().parse_args(["run", "smollm2", "arith-mc", "--formats", "10", "--format-seed", "3"])
    assert args.formats == 10 and args.format_seed == 3


def test_robustness_subcommand():
    args = build_parser().parse_args(["robustness", "order", "smollm2", "logic-mc", "--limit", "8"])
    assert args.analysis == "order" and args.limit == 8 and args.func.__name__ == "cmd_robustness"
