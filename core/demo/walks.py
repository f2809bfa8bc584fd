"""The way a scale-demo application went: from its procedure's first process to where it ended, along the
transitions the plugins declare, with the detours people take (a return to the applicant, a request for more
documents). Only the procedure's definition is read here, nothing of the database."""

import random
from collections import deque

DETOUR = 0.18  # the chance of a detour (a return, a request for documents) at each step that allows one


def _edges(procedure) -> dict[str, list[tuple[str, str]]]:
    edges = {p.code: list(p.transitions) for p in procedure.processes}
    for process in procedure.processes:
        if process.withdrawable:
            edges[process.code].append(("withdraw", "withdrawn"))
    return edges


def _path(edges, start: str, goal: str) -> list[tuple[str, str, str]] | None:
    """The shortest way from one process to another: [(action, from, to), ...]."""
    if start == goal:
        return []
    seen = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for action, there in edges.get(here, ()):
            if there in seen or action == "withdraw":
                continue
            seen[there] = (action, here)
            if there == goal:
                steps = []
                node = goal
                while seen[node] is not None:
                    action_, before = seen[node]
                    steps.append((action_, before, node))
                    node = before
                return steps[::-1]
            queue.append(there)
    return None


def walk(procedure, goal: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """The transitions an application took from its first process to ``goal``, with detours on the way."""
    edges = _edges(procedure)
    first = procedure.first_process.code
    withdraw = goal == "withdrawn"
    if withdraw:
        stops = [p.code for p in procedure.processes if p.withdrawable and _path(edges, first, p.code) is not None]
        if not stops:
            return []
        goal = rng.choice(stops)
    route = _path(edges, first, goal)
    if route is None:
        return []
    steps = []
    for index in range(len(route) + 1):
        here = route[index][1] if index < len(route) else goal
        following = route[index][2] if index < len(route) else None
        detours = [
            (action, there)
            for action, there in edges.get(here, ())
            if there not in (following, "withdrawn", "archived") and _path(edges, there, here) is not None
        ]
        if detours and rng.random() < DETOUR:
            action, there = rng.choice(detours)
            steps.append((action, here, there))
            steps += _path(edges, there, here)
        if index < len(route):
            steps.append(route[index])
    if withdraw:
        steps.append(("withdraw", goal, "withdrawn"))
    return steps
