"""What the tests share: paths, small projects, fakes and servers (importable as `helpers`)."""
