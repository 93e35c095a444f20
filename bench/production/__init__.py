"""The production profile measured (`make bench-production`, `python -m bench.production`):
the embedded profile (A), the production stores behind one Rasa and one gateway (B) and the
production profile of two Rasa instances and two gateways behind HAProxy (C), started side by
side on loopback and driven in turn by the same scripted SMS conversations.

stacks.py starts the three, load.py drives them, checks.py reads Rasa's trackers afterwards,
cpu.py samples who used the CPU, __main__.py runs the cells and prints the figures.
"""
