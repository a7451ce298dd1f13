"""Trace a model config, ship it to another process, mutate a recorded argument there, rebuild.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import multiprocessing

import tinynet

import traceable


def trial(payload: str) -> tuple[str, float]:
    """Runs in a worker process: rebuild the config from JSON, widen the model, fit it."""
    # Every traced object is built again, traced; safe=True lets the payload use only the
    # classes of tinynet, whatever it says.
    fit = traceable.load(payload, safe=True, allow=["tinynet"])
    config = fit.trace_copy()
    config.trace_kwargs["model"] = tinynet.make_model(hidden=16)  # mutate a recorded argument
    config.trace_kwargs["steps"] = 300
    wider = config.get()  # rebuild from the mutated record
    return traceable.dump(wider), wider.run()


def main() -> None:
    fit = tinynet.RandomSearchFit(tinynet.make_model(hidden=4), steps=300)
    payload = traceable.dump(fit, indent=2)
    print("The config, as JSON that NNI 3.0's nni.load also reads:")
    print(payload)
    print(f"\nloss with 4 hidden units, fitted here: {fit.run():.4f}")

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        rebuilt_payload, loss = pool.apply(trial, (payload,))
    print(f"loss with 16 hidden units, rebuilt and fitted in another process: {loss:.4f}")

    rebuilt = traceable.load(rebuilt_payload)
    hidden = rebuilt.trace_kwargs["model"].trace_args[0].trace_kwargs["out_features"]
    assert hidden == 16, rebuilt_payload
    print(f"the config came back with out_features={hidden}: {traceable.dump(rebuilt)[:100]}...")


if __name__ == "__main__":
    main()
