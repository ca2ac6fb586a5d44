//! The monthly pass: each monthly file read once, in one streaming pass (on both cores for a
//! large file), every measure and challenge rule of its dataset evaluated on each row as it
//! goes by; duplicates found after the pass; the month cache that spares reading it again.

pub(crate) mod cache;
pub mod csv;
pub(crate) mod duplicates;
pub(crate) mod hash;
pub(crate) mod measures;
pub mod month;
pub(crate) mod rules;

pub use cache::entries_written;

/// Asks the kernel to back `buffer` with huge pages (Linux' transparent huge pages, in
/// `madvise` mode on many systems): a large buffer filled once is then faulted in 2 MiB at a
/// time rather than 4 KiB, each fault an exit to the hypervisor on a virtual machine. Only a
/// hint: nothing changes if it is refused, and the contents are never touched (the buffer may
/// be a `Vec`'s spare capacity).
pub(crate) fn advise_huge_pages<T>(buffer: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = buffer.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(buffer);
        let aligned = start.next_multiple_of(HUGE);
        if end > aligned + HUGE {
            let len = (end - aligned) / HUGE * HUGE;
            // SAFETY: the range lies within `buffer`, memory this process owns and keeps
            // mapped for the call; MADV_HUGEPAGE only changes how the kernel backs those pages,
            // never their contents, and failure is harmless.
            unsafe { libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buffer;
}
