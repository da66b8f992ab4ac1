"""The words of the API reference that the routes and schemas do not carry themselves: what each path
parameter, operation, schema and property means. Applied to the OpenAPI document only where the code
gave no description of its own (a description written next to a field wins); tests/app/core/
test_openapi.py fails on any operation, parameter, schema or property still without one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

PARAMETERS: dict[str, str] = {
    "code": "the footprint's ONS code, e.g. E54000007 (Greater Manchester in the demo)",
    "org_code": "the organisation's ODS code, e.g. RMC",
    "line_id": "the cost line's id (from a cost-line list or the Location of its creation)",
    "run_id": "the run's id (from the run list or the Location of its creation)",
    "other_id": "the id of the run to compare with (its figures are `b`, this run's are `a`)",
    "token_id": "the token's id (from GET /tokens)",
    "upload_id": "the upload's id (from the upload report or GET …/uploads)",
    "sweep_id": "the sweep's id (from the sweep list or the Location of its creation)",
    "lock_id": "the lock's id (from GET …/locks)",
    "name": "the assumption set's name",
    "kind": "the kind of error, as in a problem document's `type` `/problems/{kind}`",
    "organisation": "only this organisation (ODS code); one outside the footprint is refused, naming "
    "the allowed codes",
    "function": "only this function (key, see GET /functions); an unknown one is refused, naming the "
    "allowed keys",
    "financial_year": "only this financial year: 2017/18 (2017-18, 2017/2018, FY 2017/18 accepted too)",
    "status": "only runs in this state",
}

OPERATIONS: dict[tuple[str, str], str] = {
    ("get", "/footprints/{code}/uploads/{upload_id}"): "One upload: who sent which file, whether it was "
    "accepted or refused, its counts and every problem and warning.",
    ("post", "/footprints"): "Create a footprint (admins).",
    ("get", "/footprints/{code}"): "One footprint.",
    ("patch", "/footprints/{code}"): "Change a footprint's name, region or maturity (admins); fields left "
    "out stay as they are.",
    ("delete", "/footprints/{code}"): "Delete a footprint that has no organisations left (admins).",
    ("get", "/functions"): "The catalogue of back-office functions: the keys to use in cost lines, locks "
    "and assumptions, with their labels.",
    ("post", "/footprints/{code}/organisations"): "Add an organisation to the footprint.",
    ("get", "/footprints/{code}/organisations/{org_code}"): "One organisation of the footprint.",
    ("patch", "/footprints/{code}/organisations/{org_code}"): "Change an organisation's name, kind or "
    "compatibility groups; fields left out stay as they are.",
    ("delete", "/footprints/{code}/organisations/{org_code}"): "Remove an organisation that has no cost "
    "lines left.",
    ("get", "/cost-lines"): "Cost lines across the footprints the token may see, filtered and paged "
    "(keyset cursor, limit, total).",
    ("get", "/footprints/{code}/cost-lines"): "The footprint's cost lines, filtered and paged (keyset "
    "cursor, limit, total).",
    ("post", "/footprints/{code}/cost-lines"): "Add one cost line: an organisation's annual cost of one "
    "function in one financial year.",
    ("get", "/footprints/{code}/cost-lines/{line_id}"): "One cost line.",
    ("patch", "/footprints/{code}/cost-lines/{line_id}"): "Change a cost line's pay, non-pay or WTE; "
    "fields left out stay as they are.",
    ("delete", "/footprints/{code}/cost-lines/{line_id}"): "Delete a cost line.",
    ("get", "/footprints/{code}/assumption-sets"): "The footprint's named assumption sets.",
    ("post", "/footprints/{code}/assumption-sets"): "Store a named assumption set for runs to use; "
    "anything left out takes the documented default.",
    ("get", "/footprints/{code}/assumption-sets/{name}"): "One assumption set.",
    ("put", "/footprints/{code}/assumption-sets/{name}"): "Replace an assumption set (runs already made "
    "keep the copy they took).",
    ("delete", "/footprints/{code}/assumption-sets/{name}"): "Delete an assumption set.",
    ("get", "/footprints/{code}/locks"): "The decisions every run of the footprint must respect.",
    ("post", "/footprints/{code}/locks"): "Add a decision runs must respect (a host that must or may not "
    "host, an organisation that must join or keep a function in house); contradictions are refused.",
    ("delete", "/footprints/{code}/locks/{lock_id}"): "Remove a lock.",
    ("post", "/footprints/{code}/runs"): "Start an optimisation run on a snapshot of the footprint's data "
    "taken now; answers 202 at once, the run is solved in the background.",
    ("get", "/footprints/{code}/runs/{run_id}"): "One run: its status, progress while it solves, outcome, "
    "NPV, payback year, review and warnings.",
    ("post", "/footprints/{code}/runs/{run_id}/cancel"): "Cancel a queued or running run.",
    ("get", "/footprints/{code}/runs/{run_id}/plan"): "The plan of a finished run: hubs, their members "
    "and the years they join, and the constraints that bind.",
    ("get", "/footprints/{code}/runs/{run_id}/years"): "A finished run's figures year by year.",
    ("get", "/footprints/{code}/runs/{run_id}/organisations"): "A finished run's figures per organisation "
    "(attributed NPV, net cash by year) and, in shared mode, each hub's cost-sharing agreement.",
    ("get", "/footprints/{code}/runs/{run_id}/compare/{other_id}"): "Two finished runs side by side: NPV, "
    "net cash by year and hubs by function.",
    ("post", "/footprints/{code}/runs/{run_id}/reviews"): "Approve or reject a finished run (not by the "
    "token that created it, unless an admin's).",
    ("get", "/footprints/{code}/runs/{run_id}/reviews"): "Every review of a run, oldest first.",
    ("post", "/footprints/{code}/sweeps"): "Start a sensitivity sweep: one run per grid point or Monte "
    "Carlo draw, on variations of one assumption set.",
    ("get", "/footprints/{code}/sweeps/{sweep_id}"): "One sweep: how far its runs have got and the "
    "spread of their NPVs.",
    ("post", "/tokens"): "Issue a token (admins); the secret is in this answer and nowhere else.",
    ("get", "/tokens/{token_id}"): "One token (never its secret).",
    ("post", "/tokens/{token_id}/revoke"): "Revoke a token: it stops working at once.",
    ("get", "/audit"): "The audit trail: every write, newest first, filtered and paged.",
}

SCHEMAS: dict[str, str] = {
    "AssumptionSetCreate": "A named assumption set to store.",
    "AssumptionSetRead": "A stored assumption set.",
    "AuditEntryRead": "One write recorded in the audit trail.",
    "AuditPage": "A page of audit entries.",
    "BulkUpsertRequest": "Many cost lines to insert or update at once, all or nothing.",
    "CostLineCreate": "One cost line to add.",
    "CostLinePage": "A page of cost lines.",
    "CostLineRead": "A stored cost line.",
    "CostLineUpdate": "The figures of a cost line to change.",
    "CostSummary": "A footprint's cost totals by function and financial year, exact to the penny.",
    "CostSummaryRow": "The totals of one function in one financial year.",
    "Counts": "Rows inserted, updated and left unchanged.",
    "FootprintCreate": "A footprint to create.",
    "FootprintRead": "A footprint.",
    "FootprintUpdate": "The fields of a footprint to change.",
    "FunctionAssumptionsSchema-Input": "Assumptions for one function (anything left out takes the default).",
    "FunctionAssumptionsSchema-Output": "Assumptions for one function.",
    "FunctionDifference": "One function's hubs in two compared runs.",
    "FunctionRead": "A back-office function of the catalogue.",
    "HubShare": "How often a hub appears across a sweep's finished runs.",
    "LockCreate": "A decision runs must respect.",
    "LockKind": "What a lock forces: must_host, may_not_host, must_join, keep_in_house.",
    "LockRead": "A stored lock.",
    "Maturity": "How far the footprint's partnership has got (it sets the default pace of change).",
    "OrganisationCreate": "An organisation to add to the footprint.",
    "OrganisationKind": "What kind of NHS or local government body the organisation is.",
    "OrganisationRead": "An organisation of a footprint.",
    "OrganisationResult": "One organisation's position in a run's plan.",
    "OrganisationUpdate": "The fields of an organisation to change.",
    "PlanHub": "A shared-service hub of a plan: its host, function, opening year and members.",
    "PlanMove": "One organisation joining a hub in a year.",
    "ProblemType": "A kind of error and what it means.",
    "ReviewCreate": "A review decision on a finished run.",
    "ReviewDecision": "approve or reject.",
    "ReviewRead": "A stored review of a run.",
    "Role": "What a token may do: finance_director, planner, analyst or admin (see docs on access).",
    "RunComparison": "Two runs' figures side by side (`a` this run, `b` the other).",
    "RunOptions": "How the solver runs.",
    "RunOrganisations": "A run's attributed NPV per organisation.",
    "RunPlan": "A finished run's plan.",
    "RunRead": "An optimisation run.",
    "RunStatus": "queued, running, then optimal, feasible (stopped before proof), infeasible, error or "
    "cancelled.",
    "RunYears": "A finished run's figures year by year.",
    "SheetCounts": "Rows read and skipped on one sheet.",
    "SweepCancellation": "The runs a sweep's cancellation stopped.",
    "SweepCreate": "A sensitivity sweep to start: give exactly one of grid or monte_carlo.",
    "SweepRead": "A sweep and the spread of its runs' results.",
    "TokenCreate": "A token to issue.",
    "TokenIssued": "A new token, with its secret (shown this once).",
    "TokenRead": "A token (never its secret).",
    "TierSchema-Input": "A saving tier: from this £ volume of a hub, this saving rate.",
    "TierSchema-Output": "A saving tier: from this £ volume of a hub, this saving rate.",
    "Triangular": "A triangular distribution: lowest, most likely and highest value.",
    "UploadRead": "A recorded upload, accepted or refused.",
    "UploadReport": "What an accepted upload did.",
    "UpsertReport": "What a bulk upsert did.",
    "YearDifference": "One year's net cash in two compared runs.",
    "YearRead": "One year of a run's plan.",
}

# Properties whose meaning is the same wherever they appear.
PROPERTIES: dict[str, str] = {
    "id": "identifier, unique among its kind",
    "created_at": "when it was created (UTC)",
    "updated_at": "when it last changed (UTC)",
    "created_by": "the name of the token (or `cli:<user>`) that created it",
    "footprint": "the footprint's ONS code",
    "organisation": "ODS code of the organisation",
    "function": "function key (see GET /functions)",
    "financial_year": "financial year, April to March, as 2017/18",
    "pay": "pay costs, £",
    "non_pay": "non-pay costs, £",
    "total": "pay plus non-pay, £",
    "wte": "whole-time-equivalent staff",
    "upload_id": "the upload that last wrote it (null when written through the API)",
    "inserted": "rows added",
    "updated": "rows whose figures changed",
    "unchanged": "rows already as given, left alone",
    "rows_read": "non-blank rows read",
    "skipped": "total and subtotal rows skipped",
    "region": "NHS region",
    "maturity": "how far the partnership has got",
    "code": "the identifying code (ONS for footprints, ODS for organisations)",
    "compatibility_groups": "function key -> group: organisations share a hub of a function only within "
    "one group (e.g. the same IT system)",
    "host": "ODS code of the hub's host organisation",
    "member": "ODS code of the organisation that joins",
    "year": "year of the plan, 1 = the first",
    "hub_opening_year": "the year the hub opens",
    "opening_year": "the year the hub opens",
    "members": "the organisations that join, each with its year",
    "run_id": "the run's id",
    "sweep_id": "the sweep the run belongs to (null for a run of its own)",
    "npv": "net present value of the plan, £",
    "payback_year": "first year the cumulative net cash is no longer negative (null: not in the horizon)",
    "status": "the state it is in",
    "label": "a name people recognise it by",
    "description": "what it is, in words",
    "discount_rate": "yearly discount rate (0.035 = 3.5 %, HM Treasury Green Book)",
    "horizon_years": "how many years the plan covers",
    "board_acceptability": "refuse plans that leave any organisation worse off than minus the tolerance",
    "functions": "per function key",
    "tiers": "saving rates by hub volume: from each £ volume, this rate",
    "options": "how the solver runs",
    "assumption_set": "name of a stored assumption set (null: inline or defaults)",
    "assumptions": "assumptions given inline",
    "sha256": "SHA-256 of the file, hex",
    "file_name": "the file's name as sent",
    "warnings": "what was ignored or is worth knowing, each with where",
    "errors": "every problem, each with where it is",
    "message": "what happened, in words",
    "role": "the token's role",
    "expires_at": "when the token stops working (null: never)",
    "revoked_at": "when the token was revoked (null: it was not)",
    "reason": "why, in words (shown with the lock)",
    "decision": "approve or reject",
    "comment": "the reviewer's words",
    "reviewer": "the name of the reviewer's token",
    "kind": "which kind it is",
    "name": "its name",
    "seed": "random seed, so the same request gives the same answer",
    "savings": "savings, £",
    "running_costs": "hubs' running costs, £",
    "setup_costs": "hubs' one-off set-up costs, £",
    "transition_costs": "one-off costs of moving into hubs, £",
    "integration_costs": "costs of integrating systems of organisations in different groups, £",
    "cumulative_net_cash": "net cash summed up to this year, £",
    "discount_factor": "what a pound of this year is worth today",
    "discounted_net_cash": "net cash times the discount factor, £",
    "wte_released": "WTE posts no longer needed this year",
    "moves": "organisations joining hubs this year",
    "hubs": "the plan's hubs",
    "years": "one row per year",
    "organisations": "one row per organisation",
    "lines": "the cost lines",
    "attributed_npv": "the organisation's share of the plan's NPV, £",
    "binds_board": "true when the board rule holds this organisation at its limit",
    "binding": "the constraints the plan is pressed against",
    "relative_gap": "how far the plan could be from the best, as a fraction (0.01 = 1 %)",
    "solver": "highs or cbc",
    "at": "when it happened (UTC)",
    "method": "HTTP method",
    "path": "request path",
    "footprint_code": "the footprint it concerned (null when none)",
    "details": "what was done, in more detail",
    "error_message": "why it failed or was cancelled (empty otherwise)",
    "started_at": "when a worker started it",
    "finished_at": "when it finished",
    "heartbeat_at": "the worker's last sign of life",
    "attempts": "how many workers have started it",
    "solver_statistics": "the solver's figures: objective, bound, gap, times, nodes",
    "specification": "the sweep as requested",
    "finished": "true when no run of it is queued or running",
    "runs": "how many runs it has",
    "by_status": "how many runs are in each state",
    "run_ids": "its runs' ids",
    "npv_p10": "10th percentile of the finished runs' NPVs, £",
    "npv_p50": "median NPV of the finished runs, £",
    "npv_p90": "90th percentile of the finished runs' NPVs, £",
    "npv_mean": "mean NPV of the finished runs, £",
    "sweep": "the sweep's id",
    "rows": "one row per function and financial year",
    "sheets": "per sheet, rows read and skipped",
    "cost_lines": "cost-line rows inserted, updated, unchanged",
    "uploaded_by": "the name of the token (or `cli:<user>`) that uploaded it",
    "rows_inserted": "rows added",
    "rows_updated": "rows changed",
    "rows_unchanged": "rows already as in the file",
    "rows_skipped": "total and subtotal rows skipped",
    "sheet": "sheet name",
    "cell": "cell reference, e.g. C7",
    "column": "column header",
    "value": "the value found there",
    "low": "lowest value",
    "mode": "most likely value",
    "high": "highest value",
    "draws": "how many scenarios to draw",
    "transition": "distribution of the multiplier on transition cost rates",
    "grid": "every combination of listed variations",
    "monte_carlo": "seeded random draws of multipliers",
    "savings_multipliers": "multipliers on every saving rate",
    "transition_multipliers": "multipliers on every transition cost rate",
    "discount_rates": "discount rates to try",
    "type": "URI of the kind of error (GET it for a description)",
    "title": "short summary of the kind of error",
    "detail": "what was wrong and what to do, as a sentence",
    "instance": "the request path",
    "key": "function key, used in cost lines, locks and assumptions",
}

# Where one name means something particular to its schema.
SCHEMA_PROPERTIES: dict[str, str] = {
    "AssumptionSetCreate.name": "the set's name, unique in the footprint",
    "AssumptionSetRead.name": "the set's name",
    "FootprintCreate.name": "the footprint's name",
    "FootprintRead.name": "the footprint's name",
    "FootprintUpdate.name": "the footprint's new name",
    "OrganisationCreate.name": "the organisation's name",
    "OrganisationRead.name": "the organisation's name",
    "OrganisationUpdate.name": "the organisation's new name",
    "OrganisationCreate.kind": "what kind of body it is",
    "OrganisationRead.kind": "what kind of body it is",
    "OrganisationUpdate.kind": "what kind of body it is",
    "TokenIssued.name": "who or what the token is for",
    "TokenRead.name": "who or what the token is for",
    "TokenCreate.role": "what the token may do",
    "SweepRead.kind": "grid or monte_carlo",
    "LockCreate.kind": "what the lock forces",
    "LockRead.kind": "what the lock forces",
    "LockCreate.function": "the function it applies to (key)",
    "LockRead.organisation": "the organisation it applies to (ODS code)",
    "FunctionRead.label": "the function's name in words",
    "FunctionRead.description": "what the function covers",
    "MonteCarlo.savings": "distribution of the multiplier on saving rates",
    "RunComparison.a": "this run's id",
    "RunComparison.b": "the other run's id",
    "RunComparison.npv_a": "this run's NPV, £",
    "RunComparison.npv_b": "the other run's NPV, £",
    "RunComparison.years": "net cash by year in both runs",
    "RunComparison.functions": "hubs by function in both runs",
    "YearDifference.net_cash_a": "this run's net cash in the year, £",
    "YearDifference.net_cash_b": "the other run's net cash in the year, £",
    "RunPlan.status": "the run's outcome",
    "RunRead.status": "queued, running, or the outcome",
    "RunRead.label": "a name for the run",
    "RunCreate.label": "a name for the run, shown in lists and the workbook",
    "RunCreate.options": "how the solver runs (defaults: HiGHS, 60 s, gap 0.01 %)",
    "RunRead.options": "how the solver was asked to run",
    "SweepCreate.options": "how each run's solver runs",
    "UploadRead.status": "accepted or refused",
    "UploadRead.errors": "why it was refused, each problem with its sheet and cell",
    "UploadRead.warnings": "what was ignored, each with its sheet and cell",
    "Problem.errors": "every problem, each with where it is",
    "Problem.status": "HTTP status code",
    "CostSummary.rows": "totals per function and financial year",
    "CostSummaryRow.lines": "how many cost lines",
    "CostSummary.footprint": "the footprint's ONS code",
    "BulkUpsertRequest.lines": "the cost lines, at least one",
    "HubShare.function": "function key",
    "HubShare.host": "ODS code of the host",
    "SweepSummary.footprint": "the footprint's ONS code",
}


# A request body for each operation that takes JSON, that works against the demo footprint (`make run`
# loads it): Swagger UI fills these in, and tests/app/core/test_openapi.py sends every one to the demo.
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/footprints"): {
        "code": "E54000042",
        "name": "Cheshire and Merseyside",
        "region": "North West",
        "maturity": "developing",
    },
    ("patch", "/footprints/{code}"): {"region": "North West", "maturity": "advanced"},
    ("post", "/footprints/{code}/organisations"): {
        "code": "RBT",
        "name": "Mid Cheshire Hospitals NHS Foundation Trust",
        "kind": "PROVIDER",
        "compatibility_groups": {"it": "LDR Cheshire (illustrative)"},
    },
    ("patch", "/footprints/{code}/organisations/{org_code}"): {"name": "Bolton NHS Foundation Trust"},
    ("post", "/footprints/{code}/cost-lines"): {
        "organisation": "RMC",
        "function": "finance",
        "financial_year": "2015/16",
        "pay": "1234567.89",
        "non_pay": "234567.00",
        "wte": "31.50",
    },
    ("post", "/footprints/{code}/cost-lines/bulk"): {
        "lines": [
            {
                "organisation": "RMC",
                "function": "payroll",
                "financial_year": "2015/16",
                "pay": "412000.00",
                "non_pay": "58000.00",
                "wte": "11.20",
            },
            {
                "organisation": "RMC",
                "function": "hr",
                "financial_year": "2015-16",
                "pay": "1650000.00",
                "non_pay": "190000.00",
                "wte": "38.00",
            },
        ]
    },
    ("patch", "/footprints/{code}/cost-lines/{line_id}"): {"pay": "1250000.00", "wte": "30.00"},
    ("post", "/footprints/{code}/assumption-sets"): {
        "name": "Green Book central case",
        "description": "HM Treasury discount rate, 41 % optimism bias on one-off costs, boards protected",
        "discount_rate": "0.035",
        "horizon_years": 5,
        "optimism_bias_cost_uplift": "0.41",
        "board_acceptability": True,
        "board_tolerance": "0",
    },
    ("put", "/footprints/{code}/assumption-sets/{name}"): {
        "description": "A cautious case: a quarter off every saving rate",
        "discount_rate": "0.035",
        "horizon_years": 5,
        "optimism_bias_savings_haircut": "0.25",
        "board_acceptability": True,
    },
    ("post", "/footprints/{code}/locks"): {
        "kind": "may_not_host",
        "organisation": "RMC",
        "function": "payroll",
        "reason": "Bolton's payroll team moves site next year",
    },
    ("post", "/footprints/{code}/runs"): {
        "label": "Central case",
        "assumption_set": None,
        "options": {"time_limit": 30, "relative_gap": 0.0001, "solver": "highs"},
    },
    ("post", "/footprints/{code}/runs/{run_id}/reviews"): {
        "decision": "approve",
        "comment": "Figures agree with the 2017/18 returns; take to the STP board.",
    },
    ("post", "/footprints/{code}/sweeps"): {
        "grid": {"savings_multipliers": [0.8, 1.0, 1.2]},
        "options": {"time_limit": 30},
    },
    ("post", "/sweeps"): {
        "footprints": ["E54000007"],
        "grid": {"savings_multipliers": [0.75, 1.0, 1.25]},
        "options": {"time_limit": 30},
    },
    ("post", "/tokens"): {
        "name": "Bolton finance director",
        "role": "finance_director",
        "footprints": ["E54000007"],
    },
}


def _describe_schema(name: str, schema: dict[str, Any]) -> None:
    if not schema.get("description") and name in SCHEMAS:
        schema["description"] = SCHEMAS[name]
    base = name.removesuffix("-Input").removesuffix("-Output")
    for prop, sub in (schema.get("properties") or {}).items():
        if sub.get("description"):
            continue
        text = SCHEMA_PROPERTIES.get(f"{name}.{prop}") or SCHEMA_PROPERTIES.get(f"{base}.{prop}")
        text = text or PROPERTIES.get(prop)
        if text:
            sub["description"] = text


def install_descriptions(app: FastAPI) -> None:
    """Fill the descriptions the code left out, each time the OpenAPI document is made."""
    base: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        document = base()  # made once and kept; filling it again changes nothing
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if not operation.get("description") and (method, path) in OPERATIONS:
                    operation["description"] = OPERATIONS[(method, path)]
                body = operation.get("requestBody", {}).get("content", {}).get("application/json")
                if body is not None and (method, path) in EXAMPLES:
                    body.setdefault("example", EXAMPLES[(method, path)])
                for parameter in operation.get("parameters", []):
                    if not parameter.get("description") and parameter["name"] in PARAMETERS:
                        parameter["description"] = PARAMETERS[parameter["name"]]
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if name.startswith("Page_") and not schema.get("description"):
                schema["description"] = f"A page of {name.removeprefix('Page_').rstrip('_')} items."
            _describe_schema(name, schema)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
