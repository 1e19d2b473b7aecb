"""A software prefetch for compiled loops (LLVM's ``llvm.prefetch``), which Numba does not expose.

The travel look-ups of the dispatch loop and the warm-up hit random rows of 11 MB matrices (on the West
Midlands), so each waited for memory; asking for a scan's entries first, or for a later job's while the
jobs between are assigned, lets the memory system fetch them together (docs/performance.md). A prefetch
never changes a result.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, i, j):  # noqa: ARG001 (Numba passes the typing context)
    """Ask the cache for ``array[i, j]`` (a 2-D array) without waiting for it; no effect on values."""
    signature = types.void(array, i, j)

    def codegen(context, builder, sig, args):
        view = context.make_array(sig.args[0])(context, builder, args[0])
        index = [context.cast(builder, value, kind, types.intp) for value, kind in zip(args[1:], sig.args[1:])]
        pointer = cgutils.get_item_pointer(context, builder, sig.args[0], view, index, wraparound=False)
        byte_pointer, int32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        # the typed-pointer name: LLVM upgrades it where pointers are opaque, older LLVMs need it
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]), "llvm.prefetch.p0i8")
        builder.call(function, [builder.bitcast(pointer, byte_pointer), int32(0), int32(3), int32(1)])  # read, keep
        return context.get_dummy_value()

    return signature, codegen
