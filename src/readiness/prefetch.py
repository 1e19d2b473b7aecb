"""A software prefetch for compiled loops (LLVM's ``llvm.prefetch``), which Numba does not expose.

The dispatch loop's look-ups in the travel matrix (11 MB on the West Midlands: every unit's minutes to
a site) miss the cache; asking for all of a scan's entries first lets the memory system fetch them
together instead of one miss at a time (docs/performance.md). A prefetch never changes a result.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, i, j):  # noqa: ARG001 (Numba passes the typing context)
    """Hint that ``array[i, j]`` (a 2-D array) will be read soon; no effect on values."""
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, [args[1], args[2]])
        byte_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]), "llvm.prefetch.p0")
        # read (0), keep in all cache levels (3), data cache (1)
        builder.call(function, [builder.bitcast(pointer, byte_pointer), ir.Constant(int32, 0), ir.Constant(int32, 3),
                                ir.Constant(int32, 1)])
        return context.get_dummy_value()

    return types.void(array, i, j), codegen
