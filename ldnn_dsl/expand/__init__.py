"""Stage 4: lets, blocks, repeats and uses resolved into a graph of concrete, typed layers."""
