#!/usr/bin/python3
# ===- make_training_graph.py - A Checkmate-format training graph ---------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_training_graph.py LAYERS OUT.json
#
# Writes a training graph in the benchmark's node-link JSON: LAYERS forward
# layers (each reading the previous one and, from the third on, the one
# before it: a skip link, so the graph is not a chain), a loss, and one
# backward node per layer reading its forward layer and the previous
# gradient. 2 * LAYERS + 1 nodes, ids in topological order.
#
# ===-----------------------------------------------------------------------===#
import json
import sys

layers, out = int(sys.argv[1]), sys.argv[2]
nodes, links = [], []
for i in range(layers):
    nodes.append({"id": i, "name": f"layer{i}", "backward": False,
                  "cost_cpu": 10 + i % 7, "cost_ram": 40})
    if i >= 1:
        links.append({"source": i - 1, "target": i})
    if i >= 2:
        links.append({"source": i - 2, "target": i})
loss = layers
nodes.append({"id": loss, "name": "Loss", "backward": True, "cost_cpu": 5,
              "cost_ram": 1})
links.append({"source": layers - 1, "target": loss})
prev = loss
for j, i in enumerate(reversed(range(layers))):
    nid = layers + 1 + j
    nodes.append({"id": nid, "name": f"layer{i}_backward", "backward": True,
                  "cost_cpu": 20, "cost_ram": 40})
    links.append({"source": prev, "target": nid})
    links.append({"source": i, "target": nid})
    prev = nid
with open(out, "w") as f:
    json.dump({"directed": True, "multigraph": False, "graph": {},
               "nodes": nodes, "links": links}, f)
